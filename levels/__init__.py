"""The campaign's level files, chapters.toml and quizzes/ (data, read through sim_core.resources)."""
