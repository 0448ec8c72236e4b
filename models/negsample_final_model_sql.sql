{# Model final_model_sql of design negsample, written by `negsample add-design`: the SQL is the package's. #}
{{ negsample.design_model('negsample', 'final_model_sql') }}
