import pytest

from towers.core.models import AuditEntry
from towers.organisations.tests.factories import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_a_person_changes_their_own_password_and_it_is_audited_without_the_password(client, estate):
    sign_in(client, estate.network_resolver)
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    estate.network_resolver.refresh_from_db()
    assert estate.network_resolver.check_password("a-new-long-passphrase-42")
    entry = AuditEntry.objects.get(action="person.password_set")
    assert entry.person_id == estate.network_resolver.id and entry.after is None
    assert "a-new-long" not in str(entry.before) + str(entry.after)
    wrong = client.post("/account/password/", {"old_password": "nope", "new_password1": "x", "new_password2": "x"})
    assert wrong.status_code == 200 and "old password" in wrong.content.decode().lower()
