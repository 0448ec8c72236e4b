{# Model score_choice of design negsample, written by `negsample add-design`: the SQL is the package's. #}
{{ negsample.design_model('negsample', 'score_choice') }}
