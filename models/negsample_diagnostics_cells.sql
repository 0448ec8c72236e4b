{# Model diagnostics_cells of design negsample, written by `negsample add-design`: the SQL is the package's. #}
-- sqlfluff:dialect:postgres
{{ negsample.design_model('negsample', 'diagnostics_cells') }}
