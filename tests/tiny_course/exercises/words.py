"""One question: which of these is a list in Python?

  a) [1, 2, 3]
  b) (1, 2, 3)
  c) {1, 2, 3}
"""

# TODO: set ANSWER to a letter and WHY to your reason.
ANSWER = ""
WHY = ""
