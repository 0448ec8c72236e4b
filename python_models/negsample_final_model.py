"""Model final_model of design negsample, written by `negsample add-design`.

dbt needs a Python model's refs written literally; the body is the package's
(negsample.runtime.dbt_models.final_model).
"""

from typing import Any

import pandas as pd

from negsample.runtime.dbt_models import final_model


def model(dbt: Any, session: Any) -> pd.DataFrame:
    return final_model(
        source_check=dbt.ref("negsample_source_check"),
        sample=dbt.ref("negsample_sample"),
        pilot_coefficients=dbt.ref("negsample_pilot_coefficients"),
    )
