"""The signing tool's helper (`python -m signtool serve`) for one demo unit's signers, with the
demo keys: what a unit's signers run on their own machine, started by `make run` so the console
signs out of the box, and by the browser tests. DEMO ONLY."""
from __future__ import annotations

from pathlib import Path

from signtool.serve import SigningHelper, signer_from_files

from .seed import SIGNING_TITLES, signer

DEMO_UNIT = "1012345"


def demo_signing_helper(pki_dir: Path, origins: list[str], *, unit: str = DEMO_UNIT,
                        port: int = 0, log=None) -> SigningHelper:
    """Started; signs as the unit's chief accountant and account holder for pages of `origins`."""
    signers = [signer_from_files(title, pki_dir / f"{signer(unit, title).username}.key.pem",
                                 pki_dir / f"{signer(unit, title).username}.cert.pem")
               for title in SIGNING_TITLES]
    return SigningHelper(signers, origins, port=port, log=log).start()
