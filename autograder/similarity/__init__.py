"""The similarity report: pairs of submissions more alike than the class's own baseline (ranking), by
code (code) and by free-text answers (text), over the lists they compare (lists), written out (report)."""
