"""What a coding's salience (0 to 3) means, in words.

A module of its own, importing nothing, so that the models, the agreement statistics and the
charts (which stay free of the ORM) all share the one wording.
"""

SALIENCE_LABELS = {0: "explicitly not important", 1: "minor", 2: "important", 3: "central"}
