import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.core.roles import Role
from towers.organisations.tests.factories import actor_of, person_with_roles
from towers.servicedesk import search
from towers.servicedesk.models import Article, ProblemDetail, Ticket, TicketKind
from towers.servicedesk.search import ParsedQuery, parse_query
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.knowledge import article_create, article_publish, article_retire
from towers.servicedesk.services.tickets import ticket_create, ticket_update

SYSTEM = Actor.system("tests")


# The query parser: pure, so its guarantees are tested without a database.


def test_words_become_quoted_terms_and_the_last_one_a_prefix_while_typing():
    query = parse_query('Printer "jam" OR NOT flo')
    assert query.terms == ("printer", "jam", "flo")  # "or" and "not" are stop words, not operators
    assert query.fts5() == '"printer" "jam" "flo"*'
    assert query.tsquery() == "'printer' & 'jam' & 'flo':*"


def test_a_finished_last_word_is_not_a_prefix():
    assert not parse_query("printer jam ").prefix
    assert not parse_query("printer jam.").prefix


def test_a_query_of_only_stop_words_still_searches_for_them():
    assert parse_query("the who ").terms == ("the", "who")


def test_suggestion_queries_match_any_word_without_stop_words():
    query = parse_query("The VPN token has expired", match_all=False)
    assert query.fts5() == '"vpn" OR "token" OR "expired"'
    assert query.tsquery() == "'vpn' | 'token' | 'expired'"


def test_long_text_is_capped_and_keeps_the_word_being_typed():
    query = parse_query(" ".join(f"word{n}" for n in range(40)) + " prin")
    assert len(query.terms) == search.MAX_TERMS and query.terms[-1] == "prin" and query.prefix


@given(st.text())
def test_no_text_produces_query_syntax(text):
    query = parse_query(text)
    for term in query.terms:
        assert term and all(ch.isalnum() for ch in term)
    assert query.fts5().count('"') == 2 * len(query.terms)
    assert query.tsquery().count("'") == 2 * len(query.terms)


@pytest.fixture
def one_of_each(desk):
    """A row in every index, so each query is really executed and not skipped over an empty table."""
    agent = desk.actor(desk.agent)
    desk.raise_incident(title="Printer jammed", description="Paper stuck")
    problem = ticket_create(actor=agent, kind=TicketKind.PROBLEM, title="Printers jam")
    ProblemDetail.objects.create(ticket=problem, known_error=True, symptoms="printer jammed", workaround="Open it")
    article_publish(actor=agent, article=article_create(actor=agent, title="Printer jams", body="Open the tray"))


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=60) | st.sampled_from(['"', "'", "*", "NOT", "a:*", "(", "x OR", "\\'", "NEAR(a b)", "-x"])
)
def test_any_text_runs_as_a_search_on_this_database(one_of_each, text):
    # Straight at the backend's query language: a syntax error here would be a 500 for some user's input.
    for match_all in (True, False):
        query = parse_query(text, match_all=match_all)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT to_tsquery('english', %s)", [query.tsquery()])
            elif query:
                cursor.execute("SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH %s", [query.fts5()])
    assert search.ticket_hits(actor=SYSTEM, query=text).count() >= 0
    assert len(search.article_search(actor=SYSTEM, query=text, limit=3)) <= 1
    known = search.Hits(ProblemDetail.objects.all(), search.KNOWN_ERRORS, parse_query(text, match_all=False))
    assert len(known[:3]) <= 1


def test_an_empty_query_finds_nothing():
    assert ParsedQuery(()).fts5() == "" and not parse_query(" ,; ")


# Tickets: ranked, found by any of their words, and only where the searcher may see them.


@pytest.fixture
def held(desk):
    """Two printer faults: one held by the applications supplier, one by the network third party."""
    agent = desk.actor(desk.agent)
    apps = desk.raise_incident(title="Printer jammed on floor two", description="Paper stuck in the tray")
    ticket_hand_off(actor=agent, ticket=apps, to_team=desk.apps_team, reason="Print server application")
    network = desk.raise_incident(title="Printer offline at headquarters", description="Switch port is down")
    ticket_hand_off(actor=agent, ticket=network, to_team=desk.estate.network_team, reason="Network fault")
    return apps, network


def test_a_supplier_cannot_find_another_suppliers_ticket(desk, held):
    apps, network = held
    assert search.ticket_search(actor=desk.actor(desk.apps_resolver), query="printer") == [apps]
    assert search.ticket_search(actor=desk.actor(desk.estate.network_resolver), query="printer") == [network]
    assert search.ticket_search(actor=desk.actor(desk.estate.network_resolver), query="jammed") == []
    assert set(search.ticket_search(actor=desk.actor(desk.agent), query="printer")) == {apps, network}


def test_a_requester_finds_only_the_tickets_they_raised(desk, held):
    colleague = person_with_roles(desk.estate.authority, Role.REQUESTER, username="colleague")
    theirs = ticket_create(actor=actor_of(colleague), title="Printer out of toner")
    assert set(search.ticket_search(actor=desk.actor(desk.requester), query="printer")) == set(held)
    assert search.ticket_search(actor=actor_of(colleague), query="printer") == [theirs]


def test_words_in_the_title_outrank_words_in_the_description(desk):
    for n in range(4):
        desk.raise_incident(title=f"Unrelated fault {n}", description="Nothing to see")
    described = desk.raise_incident(title="Laptop will not start", description="I cannot read my email either")
    titled = desk.raise_incident(title="Email is down", description="Outlook shows disconnected")
    assert search.ticket_search(actor=SYSTEM, query="email") == [titled, described]


def test_the_word_being_typed_matches_as_a_prefix_and_references_are_found(desk, held):
    apps, network = held
    assert search.ticket_search(actor=SYSTEM, query="headq") == [network]
    assert search.ticket_search(actor=SYSTEM, query="headq ") == []  # a finished word must match whole
    assert search.ticket_search(actor=SYSTEM, query=apps.reference.lower()) == [apps]


def test_all_words_must_match_and_operators_typed_are_just_words(desk, held):
    apps, network = held
    assert search.ticket_search(actor=SYSTEM, query="printer tray") == [apps]
    assert search.ticket_search(actor=SYSTEM, query='printer OR "offline"') == [network]
    assert search.ticket_search(actor=SYSTEM, query="printer -offline") == [network]


def test_a_changed_ticket_is_found_by_its_new_words_only(desk, held):
    apps, _ = held
    ticket_update(actor=desk.actor(desk.apps_resolver), ticket=apps, changes={"title": "Scanner misfeeds"})
    assert search.ticket_search(actor=SYSTEM, query="scanner") == [apps]
    assert search.ticket_search(actor=SYSTEM, query="jammed") == []
    Ticket.objects.filter(pk=apps.pk).update(resolution_notes="Replaced the feed roller")  # no model save
    assert search.ticket_search(actor=SYSTEM, query="roller") == [apps]


def test_a_page_of_fifty_hits_takes_two_queries_at_most(desk, django_assert_max_num_queries):
    for n in range(60):
        Ticket.objects.create(
            reference=f"INC9{n:06d}",
            kind=TicketKind.INCIDENT,
            title=f"Keyboard fault {n}",
            requester_organisation=desk.estate.authority,
            team=desk.apps_team,
            organisation=desk.estate.applications,
            service=desk.service,
        )
    with django_assert_max_num_queries(2):  # SQLite: the ranked ids, then the rows with what a result shows
        found = search.ticket_search(actor=SYSTEM, query="keyboard", limit=50)
        assert len(found) == 50 and {(t.team.name, t.service.name) for t in found} == {
            (desk.apps_team.name, "Crime system")
        }


def test_hits_page_and_count_like_a_queryset(desk):
    made = [desk.raise_incident(title=f"Monitor flickers {'badly ' * n}") for n in range(5)]
    hits = search.ticket_hits(actor=SYSTEM, query="monitor flickers")
    assert hits.count() == 5
    assert hits[0:2] + hits[2:5] == hits[0:5] and set(hits[0:5]) == set(made)
    assert hits[5:10] == [] and search.ticket_hits(actor=SYSTEM, query="").count() == 0
    Ticket.objects.filter(pk=made[0].pk).delete()
    assert search.ticket_hits(actor=SYSTEM, query="monitor flickers").count() == 4
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM ticket_fts_key")
            assert cursor.fetchone()[0] == Ticket.objects.count()


def _installed_search_objects():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
            names = {name for (name,) in cursor.fetchall()}
            return {name for index in search.INDEXES for name in search._sqlite_objects(index) if name in names}
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_search"])
        return {name for (name,) in cursor.fetchall()}


def _expected_search_objects():
    if connection.vendor == "sqlite":
        return set().union(*(search._sqlite_objects(index) for index in search.INDEXES))
    return {index.pg_index for index in search.INDEXES}


@pytest.mark.django_db
def test_every_migration_leaves_the_search_indexes_in_place():
    # Fails when a later migration remakes an indexed table on SQLite, which drops its triggers, unless
    # ensure_search_indexes runs on post_migrate to put them back.
    assert _installed_search_objects() == _expected_search_objects()


def test_the_indexes_are_built_for_this_database_and_put_back_after_a_migration_drops_them(desk, held):
    apps, _ = held
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # What a later migration that remakes the ticket table does to its triggers.
            cursor.execute("DROP TRIGGER ticket_fts_update")
        else:
            cursor.execute("DROP INDEX ticket_search")
    Ticket.objects.filter(pk=apps.pk).update(title="Scanner misfeeds")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as after a migration's commit: no foreign key checks still pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    search.ensure_search_indexes(using=connection.alias)
    assert search.ticket_search(actor=SYSTEM, query="scanner") == [apps]
    assert _installed_search_objects() == _expected_search_objects()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's")
def test_postgresql_searches_use_the_gin_indexes(desk, held):
    with connection.cursor() as cursor:
        # Tiny tables would otherwise be scanned; with only bitmap scans left, an index must match the filter.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plans = {
        "ticket_search": search.ticket_hits(actor=SYSTEM, query="printer")._postgres().explain(),
        "article_search": search.article_hits(actor=SYSTEM, query="printer")._postgres().explain(),
        "known_error_search": search.Hits(ProblemDetail.objects.all(), search.KNOWN_ERRORS, parse_query("printer"))
        ._postgres()
        .explain(),
    }
    for index, plan in plans.items():
        assert index in plan, plan


# Articles: requesters read what is published for everyone; drafts stay with the organisation writing them.


@pytest.fixture
def articles(desk):
    agent = desk.actor(desk.agent)
    published = {
        "everyone": article_create(actor=agent, title="Reset your password", body="Use the self-service page"),
        "internal": article_create(
            actor=agent, title="Re-enrol a VPN token", body="Agents only", audience=Article.Audience.INTERNAL
        ),
        "retired": article_create(actor=agent, title="Password rules of 2019", body="Old password rules"),
    }
    for article in published.values():
        article_publish(actor=agent, article=article)
    article_retire(actor=agent, article=published["retired"])
    draft = article_create(actor=agent, title="Printer driver install", body="Work in progress: password step")
    return {**published, "draft": draft}


def test_a_requester_sees_neither_internal_nor_draft_articles(desk, articles):
    requester = desk.actor(desk.requester)
    assert search.article_search(actor=requester, query="password") == [articles["everyone"]]
    assert search.article_search(actor=requester, query="vpn") == []
    assert search.article_search(actor=requester, query="printer") == []
    assert set(search.articles_readable(actor=requester)) == {articles["everyone"]}
    with pytest.raises(NotFound):
        search.article_get(actor=requester, id=articles["internal"].id)


def test_workers_find_internal_articles_and_only_their_own_organisations_drafts(desk, articles):
    resolver = desk.actor(desk.apps_resolver)
    assert search.article_search(actor=resolver, query="vpn token") == [articles["internal"]]
    assert search.article_search(actor=resolver, query="printer") == []
    assert search.article_search(actor=desk.actor(desk.agent), query="printer") == [articles["draft"]]
    # Retired articles answer no searches, but those who work tickets can still open one by link.
    assert articles["retired"] not in search.article_search(actor=resolver, query="password")
    assert search.article_get(actor=resolver, id=articles["retired"].id) == articles["retired"]


# Suggestions: the articles and known errors a ticket's own words point to.


@pytest.fixture
def vpn(desk):
    agent = desk.actor(desk.agent)
    problem = ticket_create(actor=agent, kind=TicketKind.PROBLEM, title="Tokens expire after password reset")
    ProblemDetail.objects.create(
        ticket=problem, known_error=True, symptoms="VPN token expired, cannot connect", workaround="Re-enrol it"
    )
    unknown = ticket_create(actor=agent, kind=TicketKind.PROBLEM, title="VPN drops at night")
    ProblemDetail.objects.create(ticket=unknown, known_error=False, symptoms="VPN token expired")
    article = article_create(actor=agent, title="When your VPN token has expired", body="Ask the desk for a new one")
    printer = article_create(actor=agent, title="Ordering a printer", body="Use the catalogue")
    for each in (article, printer):
        article_publish(actor=agent, article=each)
    incident = desk.raise_incident(title="VPN says my token expired", description="I cannot connect from home")
    return problem, article, incident


def test_suggestions_find_the_matching_known_error_and_article(desk, vpn, django_assert_max_num_queries):
    problem, article, incident = vpn
    agent = desk.actor(desk.agent)
    with django_assert_max_num_queries(4):
        suggestions = search.articles_suggested(actor=agent, ticket=incident)
    assert [(s.kind, s.number) for s in suggestions] == [
        ("known_error", problem.reference),
        ("article", article.number),
    ]
    assert suggestions[0].workaround == "Re-enrol it"


def test_a_requester_is_suggested_articles_but_not_known_errors(desk, vpn):
    _, article, incident = vpn
    suggestions = search.articles_suggested(actor=desk.actor(desk.requester), ticket=incident)
    assert [(s.kind, s.id) for s in suggestions] == [("article", article.id)]


def test_articles_for_the_tickets_service_are_suggested_first(desk):
    agent = desk.actor(desk.agent)
    general = article_create(actor=agent, title="Crime system slow", body="Clear the browser cache")
    specific = article_create(
        actor=agent, title="Crime system slow", body="Clear the browser cache", service=desk.service
    )
    for each in (general, specific):
        article_publish(actor=agent, article=each)
    incident = desk.raise_incident(title="The crime system is slow today")
    suggestions = search.articles_suggested(actor=agent, ticket=incident)
    assert [s.id for s in suggestions] == [specific.id, general.id]
    assert [s.same_service for s in suggestions] == [True, False]


def test_a_ticket_of_only_common_words_gets_no_suggestions(desk, vpn):
    incident = desk.raise_incident(title="It is not what it was", description="")
    assert search.articles_suggested(actor=desk.actor(desk.agent), ticket=incident) == []
