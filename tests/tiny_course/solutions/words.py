"""One question: which of these is a list in Python?

  a) [1, 2, 3]
  b) (1, 2, 3)
  c) {1, 2, 3}
"""

### BEGIN SOLUTION
# TODO: set ANSWER to a letter and WHY to your reason.
# PROMPT: ANSWER = ""
# PROMPT: WHY = ""
ANSWER = "a"
WHY = "Square brackets make a list; parentheses a tuple, braces a set."
### END SOLUTION
