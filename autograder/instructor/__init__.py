"""The instructor's tools: collect a class (intake), grade it (batch, shards), release the student
version (release, stubs) and start new exercises (scaffold)."""
