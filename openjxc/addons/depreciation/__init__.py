"""Fixed assets and depreciation under Chinese rules."""
