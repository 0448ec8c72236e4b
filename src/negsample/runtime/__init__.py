"""What runs inside a build: the dbt Python models' bodies, the fits, and the rows they read.

Nothing here imports negsample.oracle (the tests' reference) or negsample.tools.
"""
