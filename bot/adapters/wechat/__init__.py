"""WeChat official accounts: signed XML pushes in, passive replies or API sends out (§1)."""
