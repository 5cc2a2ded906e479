"""ML Job payloads, run on the compute pool (jobs/train.py for TRAIN_MODEL)."""
