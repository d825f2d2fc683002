"""Group faces by person: algorithms, folder batch processing, corrections, contact sheets.

Nothing is imported eagerly: `faceprint.cluster.algorithms` is pure numpy/scipy and
`grouping`, `edits` and `outputs` do the work of `faceprint cluster`,
whose command line is `faceprint.cluster.commands`.
"""
