"""``modelyard dvc sync``: the registry view of a git repository that DVC (and DVC's
GTO) versions.  Reads the repository with the git CLI (no library), plans what the
registry lacks, and applies it through the SDK, so it works against a server or an
in-process registry alike."""
