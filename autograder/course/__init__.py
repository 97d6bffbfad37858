"""The course model: course.toml read into frozen data (model), where each of its files lives (layout),
and its own check code (code)."""
