"""`faceprint index`: every face of a photo archive into resumable Parquet shards.

sources (what to index) -> shards (the plan, atomic files, what a rerun skips) -> work (one
image -> rows, one shard -> one file) -> an engine runs the pending shards (`local` process
pool, or `ray` actors). `read` gives the index back to `enroll --from`, `cluster --from`
and `search --from`. Nothing is imported here: `import faceprint.index` loads no pyarrow.
"""
