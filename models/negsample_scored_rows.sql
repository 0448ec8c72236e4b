{# Model scored_rows of design negsample, written by `negsample add-design`: the SQL is the package's. #}
{{ negsample.design_model('negsample', 'scored_rows') }}
