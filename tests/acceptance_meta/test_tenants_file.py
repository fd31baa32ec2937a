"""The tenants file the harness writes: valid for the clients-file model, read by the gateway."""

from __future__ import annotations

import json
from pathlib import Path

from metasim.gateway.clients_model import ClientsFile
from metasim.gateway.tenants import Tenants
from metasim.steps.targets import resolve, tenants_file

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_targets_tenants_become_a_valid_clients_file(tmp_path: Path) -> None:
    config = resolve("reference")
    path = tenants_file.write(config, tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    # the model is the file's one validator (the published schema is generated from it)
    ClientsFile.model_validate(document, context={"env": {}})
    names = [c["client_id"] for c in document["clients"]]
    assert names == ["primary", "secondary", "expired"], "the unknown tenant is owned by nobody"
    tenants = Tenants.load(path)
    primary, expired = config.tenant("primary"), config.tenant("expired")
    owner = tenants.resolve("wa", primary.phone_number_id)
    assert owner is not None and owner.client_id == "primary"
    assert tenants.resolve("wa", config.tenant("unknown").phone_number_id) is None
    late = tenants.resolve("msg", expired.page_id)
    assert late is not None and not late.token_ok(now=1767225600.0)  # expired before 2026
    fixed = tenants.resolve("ig", config.tenant("secondary").ig_account_id)
    assert fixed is not None and fixed.reply_rule.kind == "fixed"


def test_the_checked_in_clients_file_is_the_reference_targets_tenants() -> None:
    # steps/targets/clients.json serves hand runs of a zoo gateway (its README); the harness
    # itself writes {tenants_file}: the two must grant the same ids, tokens and reply rules
    kept = json.loads((ROOT / "steps" / "targets" / "clients.json").read_text(encoding="utf-8"))
    written = tenants_file.document(resolve("reference"))

    def grants(doc: dict) -> list[tuple]:
        return sorted(
            (json.dumps(c["channels"], sort_keys=True), c["token"], json.dumps(c["reply_rule"]))
            for c in doc["clients"]
        )

    assert grants(kept) == grants(written)
