"""Evidence an auditor outside the council can check without Casework: the council's Ed25519
signing key (``signing``), signed checkpoints of the whole log (``checkpoints``), a provider's
signed evidence bundle (``bundle``) and its offline verifier (``verifier``, which imports nothing
of Casework and is also shipped as tools/verify_bundle.py). See docs/evidence-bundle.md."""
