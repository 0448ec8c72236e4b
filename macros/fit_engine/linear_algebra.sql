{#-
  The k x k linear algebra of the SQL fit engine, in dbt's Jinja: the
  warehouse sums the gradient and the Hessian of every Newton step over the
  rows; only these O(k^3) steps on k x k matrices run here (about k^3 / 6
  multiply-adds per factorization and as many again for L^-1, which the
  identifiability check needs: instant for tens of terms, tens of seconds
  per step at 200). Matrices are lists of rows of floats.
-#}

{#-
  The Cholesky factor L (lower triangular, a list of rows, row i of length
  i + 1) of a symmetric positive definite matrix, with
  {'factor': L, 'ok': true}; {'ok': false} when a pivot is not positive
  (the matrix is singular or not positive definite).
-#}
{% macro _cholesky(matrix) -%}
  {%- set factor = [] -%}
  {%- for row_i in matrix -%}
    {%- set i = loop.index0 -%}
    {%- set row = [] -%}
    {%- for j in range(i + 1) -%}
      {%- set row_j = factor[j] if j < i else row -%}
      {%- set terms = [row_i[j]] -%}
      {%- for x, y in zip(row, row_j) -%}{%- do terms.append(-x * y) -%}{%- endfor -%}
      {%- set s = terms | sum -%}
      {%- if j == i -%}
        {%- if not (s > 0) -%}{{ return({'ok': false}) }}{%- endif -%}
        {%- do row.append(s ** 0.5) -%}
      {%- else -%}
        {%- do row.append(s / row_j[j]) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- do factor.append(row) -%}
  {%- endfor -%}
  {{ return({'ok': true, 'factor': factor}) }}
{%- endmacro %}

{#- x with L L^T x = b, by forward then back substitution. -#}
{% macro _cholesky_solve(factor, b) -%}
  {%- set n = factor | length -%}
  {%- set y = [] -%}
  {%- for row in factor -%}
    {%- set i = loop.index0 -%}
    {%- set terms = [b[i]] -%}
    {%- for x, v in zip(row[:i], y) -%}{%- do terms.append(-x * v) -%}{%- endfor -%}
    {%- do y.append((terms | sum) / row[i]) -%}
  {%- endfor -%}
  {#- Back substitution with L^T, from the last unknown up; x is built reversed. -#}
  {%- set reversed_x = [] -%}
  {%- for i in range(n - 1, -1, -1) -%}
    {%- set terms = [y[i]] -%}
    {%- for x_k in reversed_x -%}
      {%- do terms.append(-factor[n - 1 - loop.index0][i] * x_k) -%}
    {%- endfor -%}
    {%- do reversed_x.append((terms | sum) / factor[i][i]) -%}
  {%- endfor -%}
  {{ return(reversed_x | reverse | list) }}
{%- endmacro %}

{#- L^-1 of a lower triangular L (a list of rows; row i of L^-1 has entries 0..i), by forward substitution. -#}
{% macro _lower_inverse(factor) -%}
  {%- set lower = [] -%}
  {%- for row in factor -%}
    {%- set i = loop.index0 -%}
    {%- set inverse_row = [] -%}
    {#- (L^-1)_ij = -(sum over j <= m < i of L_im (L^-1)_mj) / L_ii. -#}
    {%- for j in range(i) -%}
      {%- set terms = [] -%}
      {%- for m in range(j, i) -%}{%- do terms.append(row[m] * lower[m][j]) -%}{%- endfor -%}
      {%- do inverse_row.append(-(terms | sum) / row[i]) -%}
    {%- endfor -%}
    {%- do inverse_row.append(1.0 / row[i]) -%}
    {%- do lower.append(inverse_row) -%}
  {%- endfor -%}
  {{ return(lower) }}
{%- endmacro %}

{#-
  Entry (i, j) of (L L^T)^-1 = L^-T L^-1 from `lower` = L^-1: the sum over
  m >= max(i, j) of (L^-1)_mi (L^-1)_mj.
-#}
{% macro _inverse_entry(lower, i, j) -%}
  {%- set terms = [] -%}
  {%- for m in range([i, j] | max, lower | length) -%}{%- do terms.append(lower[m][i] * lower[m][j]) -%}{%- endfor -%}
  {{ return(terms | sum) }}
{%- endmacro %}

{#- The full inverse of L L^T (a list of rows), from `lower` = L^-1; symmetric. -#}
{% macro _inverse_from_lower(lower) -%}
  {%- set n = lower | length -%}
  {%- set inverse = [] -%}
  {%- for i in range(n) -%}
    {%- set out = [] -%}
    {%- for j in range(n) -%}
      {%- do out.append(inverse[j][i] if j < i else negsample._inverse_entry(lower, i, j)) -%}
    {%- endfor -%}
    {%- do inverse.append(out) -%}
  {%- endfor -%}
  {{ return(inverse) }}
{%- endmacro %}

{#- The product of a matrix (a list of rows) and a vector. -#}
{% macro _matrix_vector(matrix, vector) -%}
  {%- set out = [] -%}
  {%- for row in matrix -%}
    {%- set terms = [] -%}
    {%- for x, v in zip(row, vector) -%}{%- do terms.append(x * v) -%}{%- endfor -%}
    {%- do out.append(terms | sum) -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- The largest column sum of absolute values of a matrix (a list of rows): its 1-norm. -#}
{% macro _one_norm(matrix) -%}
  {%- set sums = [] -%}
  {%- for j in range(matrix | length) -%}
    {%- set column = [] -%}
    {%- for row in matrix %}{% do column.append(row[j] | abs) %}{% endfor -%}
    {%- do sums.append(column | sum) -%}
  {%- endfor -%}
  {{ return((sums + [0.0]) | max) }}
{%- endmacro %}

{#-
  ||L^-1||_1 ||L^-1||_inf from `lower` = L^-1 (rows of lengths 1..n): an
  upper bound on ||(L L^T)^-1||_1 = ||L^-T L^-1||_1 that costs no more than
  L^-1 itself, where the inverse costs as much again.
-#}
{% macro _inverse_norm_bound(lower) -%}
  {%- set n = lower | length -%}
  {%- set column_sums, row_sums = [], [] -%}
  {%- for j in range(n) -%}
    {%- set terms = [] -%}
    {%- for m in range(j, n) %}{% do terms.append(lower[m][j] | abs) %}{% endfor -%}
    {%- do column_sums.append(terms | sum) -%}
  {%- endfor -%}
  {%- for row in lower %}{% do row_sums.append(row | map('abs') | sum) %}{% endfor -%}
  {{ return(((column_sums + [0.0]) | max) * ((row_sums + [0.0]) | max)) }}
{%- endmacro %}

{#-
  The 1-norm condition number ||A||_1 ||A^-1||_1 of A from A and its
  inverse, as numpy.linalg.cond(A, 1) computes it; the fits compare it with
  their identifiability limit.
-#}
{% macro _condition_number(matrix, inverse) -%}
  {{ return(negsample._one_norm(matrix) * negsample._one_norm(inverse)) }}
{%- endmacro %}

{#-
  The 1-norm condition number of D^-1/2 A D^-1/2, D = diag(A) (A symmetric
  with a positive diagonal), from A and A^-1: the condition of A with every
  feature in units of its own scale, which a feature's units (a balance in
  cents or in millions) do not change.
-#}
{% macro _scaled_condition_number(matrix, inverse) -%}
  {%- set root = [] -%}
  {%- for row in matrix %}{% do root.append(row[loop.index0] ** 0.5) %}{% endfor -%}
  {%- set scaled, scaled_inverse = [], [] -%}
  {%- for i in range(matrix | length) -%}
    {%- set row, inverse_row = [], [] -%}
    {%- for j in range(matrix | length) -%}
      {%- do row.append(matrix[i][j] / (root[i] * root[j])) -%}
      {%- do inverse_row.append(inverse[i][j] * (root[i] * root[j])) -%}
    {%- endfor -%}
    {%- do scaled.append(row) -%}
    {%- do scaled_inverse.append(inverse_row) -%}
  {%- endfor -%}
  {{ return(negsample._condition_number(scaled, scaled_inverse)) }}
{%- endmacro %}

{#- A row of a matrix times a number. -#}
{% macro _scaled_row(row, factor) -%}
  {%- set out = [] -%}
  {%- for x in row %}{% do out.append(x * factor) %}{% endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#-
  The inverse of a symmetric positive definite matrix (a list of rows), from
  its Cholesky factor; none when a pivot is not positive (singular, or not
  positive definite).
-#}
{% macro _symmetric_inverse(matrix) -%}
  {%- set cholesky = negsample._cholesky(matrix) -%}
  {%- if not cholesky.ok -%}{{ return(none) }}{%- endif -%}
  {{ return(negsample._inverse_from_lower(negsample._lower_inverse(cholesky.factor))) }}
{%- endmacro %}

{#- tr(A B) = the sum over i, j of A_ij B_ji, for two square matrices (lists of rows). -#}
{% macro _trace_of_product(left, right) -%}
  {%- set terms = [] -%}
  {%- for i in range(left | length) -%}
    {%- for j in range(left | length) %}{% do terms.append(left[i][j] * right[j][i]) %}{% endfor -%}
  {%- endfor -%}
  {{ return(terms | sum) }}
{%- endmacro %}
