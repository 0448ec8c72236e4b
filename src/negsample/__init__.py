"""negsample: non-uniform negative downsampling with log-odds correction.

The dbt package (repo root) does the O(N) work in the warehouse. This Python
package has three parts, which import in one direction:

- negsample.runtime: what runs inside a build (the dbt Python models' bodies,
  the fits, the rows they read);
- negsample.oracle: the method in NumPy, which the tests hold the SQL to, and
  the paper's simulation designs;
- negsample.tools: the command line, add-design, the report, the demo data.
"""

__version__ = "0.1.0"
