"""Conceptual questions on input pipelines and graphs.

For each question, select every option that is true: set Qn_ANSWER to a set
of lowercase letters, for example {"a", "c"}. Then explain your choice in
Qn_WHY, in one to three sentences of your own words (read by your
instructor, not scored automatically beyond being there).

Question 1. A function decorated with @tf.function holds a Python
print("tracing") and a tf.print("running"). It is called three times with
float32 tensors of the same shape. What is printed?
  a) "tracing" once, at the first call, when TensorFlow runs the Python code
     to record the graph.
  b) "tracing" three times: Python runs the function body on every call.
  c) Nothing at all: printing is not allowed inside a tf.function.
  d) "running" three times: tf.print is an operation in the graph, so it runs
     every time the graph runs.
  e) "running" once: the graph only runs when it is traced.

Question 2. A training step is a @tf.function step(x, y, lr), and the loop
calls it with lr as a Python float that decays a little every epoch. What
happens?
  a) Nothing special: TensorFlow converts Python floats to tensors before it
     looks for a trace.
  b) Each new Python value of lr is part of the trace's signature, so every
     epoch traces the function again: slow, and a warning about retracing.
  c) The step raises an error: tf.function accepts only tensors.
  d) Passing lr as a tensor (tf.constant(lr)), or keeping it in a
     tf.Variable, traces once for every value.
  e) The graph keeps the first lr for ever, silently.

Question 3. A pipeline augments images at random (a random flip in its
map function) and caches. Where does cache() go?
  a) After the random map, so that the flips are computed only once and
     every epoch is faster.
  b) Before the random map: the decoded images are cached, and every epoch
     draws new flips from them.
  c) Anywhere: cache() stores the function, not its results.
  d) cache() cannot be used together with a random map.
  e) Before the random map, and an expensive deterministic step (decoding,
     resizing) goes before cache() too, so that it runs only once.
"""

### BEGIN SOLUTION
# TODO: answer each question: a set of letters, and why in your own words.
# PROMPT: Q1_ANSWER: set[str] = set()
# PROMPT: Q1_WHY = ""
# PROMPT: Q2_ANSWER: set[str] = set()
# PROMPT: Q2_WHY = ""
# PROMPT: Q3_ANSWER: set[str] = set()
# PROMPT: Q3_WHY = ""
Q1_ANSWER = {"a", "d"}
Q1_WHY = ("Python code runs only while the function is traced, once for this signature; tf.print is an "
          "operation recorded in the graph, so it runs on every call.")
Q2_ANSWER = {"b", "d"}
Q2_WHY = ""  # MISTAKE: no explanation
Q3_ANSWER = {"b", "e"}
Q3_WHY = ("cache() stores what the steps before it produced, so a random step after it draws anew each "
          "epoch, while the deterministic and costly steps before it run only once.")
### END SOLUTION
