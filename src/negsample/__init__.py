"""negsample: non-uniform negative downsampling with log-odds correction.

The dbt package (repo root) does the O(N) work in the warehouse; this Python
package holds the reference math the SQL is tested against, the demo data
generator and the command-line helpers.
"""

__version__ = "0.1.0"
