"""Conceptual questions on why frameworks exist: automatic differentiation and checkpoints.

For each question, select every option that is true: set Qn_ANSWER to a set
of lowercase letters, for example {"a", "c"}. Then explain your choice in
Qn_WHY, in one to three sentences of your own words (read by your
instructor, not scored automatically beyond being there).

Question 1. What does loss.backward() compute in PyTorch, and where does it put it?
  a) The gradient of the loss with respect to every tensor that requires grad
     and took part in computing it (each nn.Parameter, say), stored in that
     tensor's .grad attribute.
  b) One gradient-descent step: it updates the weights.
  c) It adds the new gradient to whatever .grad already holds, which is why a
     training loop clears the gradients at every step.
  d) It returns a dict of the gradients, keyed by parameter name.
  e) It walks back through the graph recorded during the forward pass,
     applying the chain rule from the loss down to the parameters.

Question 2. Which statements about putting the optimizer's state_dict in a
checkpoint, beside the model's, are true?
  a) Adam keeps, for each parameter, running averages of its gradient and of
     the gradient's square, and a step count; without them a resumed run takes
     different steps from a run that was never interrupted.
  b) It holds the optimizer's settings (its param_groups: the learning rate,
     Adam's betas), so the resumed run trains with the same ones.
  c) The model's state_dict holds only the architecture; the weights
     themselves are in the optimizer's state_dict.
  d) Without it, torch.load(..., weights_only=True) refuses the checkpoint.
  e) Plain SGD without momentum keeps no state for each parameter, so its
     state_dict adds only its settings.
"""

### BEGIN SOLUTION
# TODO: answer each question: a set of letters, and why in your own words.
# PROMPT: Q1_ANSWER: set[str] = set()
# PROMPT: Q1_WHY = ""
# PROMPT: Q2_ANSWER: set[str] = set()
# PROMPT: Q2_WHY = ""
Q1_ANSWER = {"a", "c", "e"}
Q1_WHY = ("backward() applies the chain rule backwards through the recorded graph and adds each "
          "gradient into the .grad of the tensors that need one; the optimizer's step is a separate call.")
Q2_ANSWER = {"a", "b", "e"}
Q2_WHY = ("Adam's moment estimates and step count, like its learning rate, live in the optimizer, "
          "so a checkpoint without them resumes with different updates than the uninterrupted run.")
### END SOLUTION
