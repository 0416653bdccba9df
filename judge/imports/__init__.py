"""Other tools' verdicts (CSV/JSONL, AlpacaEval annotations) read into a run folder.

``verdict_files`` owns the formats and their errors; ``importing`` turns a file into a run folder.
"""
