"""The documented limits of one email on ``POST /api/emails`` (422 naming the field), through the SDK."""

from __future__ import annotations

import base64
from typing import Any

import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state.email_limits import ATTACHMENTS_MAX_BYTES

from .conftest import send_kwargs


def refused(client: lettr.Lettr, **overrides: Any) -> dict[str, Any]:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(**send_kwargs(**overrides))
    return dict(caught.value.errors)


def attachment(size: int, name: str = "a.bin") -> lettr.Attachment:
    return lettr.Attachment(name=name, type="application/octet-stream", data=base64.b64encode(b"x" * size).decode())


@pytest.mark.parametrize(("overrides", "field"), [
    ({"to": [f"t{i}@example.com" for i in range(30)], "cc": [f"c{i}@example.com" for i in range(20)],
      "bcc": ["one-too-many@example.com"]}, "to"),
    ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
    ({"metadata": {"k" * 41: "v"}}, "metadata." + "k" * 41),
    ({"metadata": {"order": "v" * 501}}, "metadata.order"),
    ({"metadata": {f"key{i:02d}": "v" * 200 for i in range(45)}}, "metadata"),  # 9 KB in all
    ({"tag": "spring sale"}, "tag"),
    ({"tag": "naïve"}, "tag"),
    ({"headers": {"DKIM-Signature": "v=1"}}, "headers.DKIM-Signature"),
    ({"headers": {"Received": "from x"}}, "headers.Received"),
    ({"attachments": [attachment(2 * 1024 * 1024, "a"), attachment(2 * 1024 * 1024, "b")]}, "attachments"),
    ({"to": ["ada@nowhere.invalid"]}, "to.0"),
    ({"bcc": ["ada@example.com", "audit@mail.INVALID"]}, "bcc.1"),
])
def test_over_a_documented_limit_is_422_on_the_field(lettr_server: LettrServer, client: lettr.Lettr,
                                                     overrides: dict[str, Any], field: str) -> None:
    assert field in refused(client, **overrides)
    assert len(lettr_server.emails) == 0


def test_every_limit_at_its_edge_is_accepted(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    edge = 3 * (ATTACHMENTS_MAX_BYTES // 4)  # its base64 is exactly the limit
    sent = client.emails.send(**send_kwargs(
        to=[f"t{i}@example.com" for i in range(30)], cc=[f"c{i}@example.com" for i in range(20)],
        metadata={f"k{i:02d}" + "x" * 37: "v" * 100 for i in range(50)}, tag="Spring_sale-2026",
        attachments=[attachment(edge)]))
    assert sent.accepted == 50
    email = lettr_server.emails[-1]
    assert len(email.metadata) == 50 and email.tags == ["Spring_sale-2026"]


def test_a_declared_unroutable_domain_is_refused_and_nothing_else_is(lettr_server: LettrServer,
                                                                     client: lettr.Lettr) -> None:
    assert client.emails.send(**send_kwargs(to=["ada@acme-legacy.io"])).accepted == 1
    lettr_server.add_unroutable_domain("ACME-legacy.io.")
    assert "to.0" in refused(client, to=["ada@acme-legacy.io"])
    assert client.emails.send(**send_kwargs(to=["ada@mail.acme-legacy.io"])).accepted == 1
    assert len(lettr_server.emails) == 2


def test_v1_keeps_its_own_contract_but_shares_the_recipient_rules(lettr_server: LettrServer) -> None:
    from support import assert_v1_error, client_for

    v1 = client_for(lettr_server)
    base = {"from": "app@example.com", "subject": "Hi", "text": "Hello"}
    assert_v1_error(v1.post("/emails", json={**base, "to": "ada@x.invalid"}), 400, "invalid_to", param="to.0")
    # v1's contract: 50 metadata values of 500 characters (more than 8 KB in all), free-form tags.
    roomy = {**base, "to": "ada@example.com", "tags": ["spring sale"],
             "metadata": {f"k{i:02d}": "v" * 500 for i in range(50)}}
    assert v1.post("/emails", json=roomy).status_code == 200
