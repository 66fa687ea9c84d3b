"""Detection quality evaluation: scenarios, composited clips and scoring (``__main__``)."""
