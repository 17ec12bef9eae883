"""Stand-in for amazon-efs-utils 3.2.0 in stunnel mode (test sandbox only, never shipped)."""
