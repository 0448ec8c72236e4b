{# Model diagnostics_sampling_probs of design negsample, written by `negsample add-design`: the SQL is the package's. #}
{{ negsample.design_model('negsample', 'diagnostics_sampling_probs') }}
