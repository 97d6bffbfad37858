"""Exporters turn a RunResult into one output format each; none of them decides a score."""
