{# Model diagnostics_sample_size of design negsample, written by `negsample add-design`: the SQL is the package's. #}
{{ negsample.design_model('negsample', 'diagnostics_sample_size') }}
