"""Conceptual questions on deep-learning frameworks.

For each question, select every option that is true: set Qn_ANSWER to a set
of lowercase letters, for example {"a", "c"}. Then explain your choice in
Qn_WHY, in one to three sentences of your own words (read by your
instructor, not scored automatically beyond being there).

Question 1. Why is dynamic graph execution (PyTorch's eager mode) useful for research?
  a) The graph is built as the code runs, so ordinary Python control flow
     (if, for, while) can change the model from one input to the next.
  b) You can inspect intermediate tensors with print() or step through the
     forward pass with pdb while the model runs.
  c) It always makes training faster than a compiled static graph.
  d) You can try a new idea by editing plain Python, with no separate
     graph-building or compile step before running it.
  e) It removes the need for automatic differentiation.

Question 2. When should you choose TensorFlow (with Keras) over PyTorch?
  a) When the model must be deployed and served in production with mature
     tools such as TF Serving.
  b) When you want a very high-level API (Keras) to get a standard model
     training in a few lines.
  c) When you need automatic differentiation, which PyTorch does not have.
  d) When your model's control flow changes at every step and you want to
     debug it line by line with pdb.
  e) When the model has to run on phones or in the browser (TensorFlow Lite,
     TensorFlow.js).

Question 3. What does model.parameters() return in PyTorch?
  a) An iterator over the model's learnable tensors (nn.Parameter objects):
     the weights and biases of every submodule.
  b) A dict that maps each layer's name to its weights.
  c) The total number of parameters, as an int.
  d) Tensors with requires_grad=True by default, which is why an optimizer
     given model.parameters() can update them.
  e) Copies of the weights, so changing them does not change the model.
  f) Each parameter once, even if the same layer is used twice in forward().
"""

Q1_ANSWER = {"a", "b", "d"}
Q1_WHY = """Research code changes all the time. With eager execution the model is just Python:
I can branch on the data, set a breakpoint inside forward(), and rerun at once without compiling anything."""
Q2_ANSWER = {"a", "b", "e"}
Q2_WHY = """Its ecosystem for serving and edge devices (Serving, Lite, TF.js) is more mature,
and Keras's compile/fit gets a standard network going in very few lines."""
Q3_ANSWER = {"a", "d", "f"}
Q3_WHY = """An iterator, not a list or dict: every registered Parameter of the module tree, yielded once,
all with requires_grad=True, which is exactly what the optimizer needs to update in place."""
