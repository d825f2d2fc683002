"""Group faces by person: algorithms, folder batch processing, corrections, contact sheets.

Nothing is imported eagerly: `faceprint.cluster.algorithms` is pure numpy/scipy and
`faceprint.cluster.commands` holds the `faceprint cluster` command.
"""
