"""Frozen products under concurrency and in the database itself (PostgreSQL)."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from fund import services
from fund.models import DocumentType, LoanProduct
from tests.concurrency import at_once
from tests.fund.factories import product_fields


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_edits_of_a_frozen_product_make_exactly_one_version(accountant):
    product = services.create_product(actor=accountant, fields=product_fields())
    services.freeze_product(product=product)
    outcomes: list[str] = []
    ready = threading.Barrier(3)

    def edit(rate: str) -> None:
        try:
            ready.wait()
            services.update_product(actor=accountant, product=product, fields={"annual_rate": Decimal(rate)})
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(rate,)) for rate in ("0.07", "0.08")]
    # Hold the row so that both edits are waiting on it when it is let go.
    with transaction.atomic():
        LoanProduct.objects.select_for_update().get(pk=product.pk)
        for thread in threads:
            thread.start()
        ready.wait()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["refused", "saved"]
    assert sorted(LoanProduct.objects.values_list("version", "status")) == [(1, "superseded"), (2, "active")]
    assert LoanProduct.objects.get(version=1).annual_rate == Decimal("0.066")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_new_product_sent_twice_at_once_is_created_once(accountant):
    def send():
        return services.create_product(actor=accountant, fields=product_fields())

    outcomes = at_once(send, send)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["LoanProduct", "ValidationError"]
    assert LoanProduct.objects.count() == 1


def wait_until_another_session_waits_for_a_lock(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_locks is live; pg_stat_activity would be a snapshot for the whole transaction.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the other session never waited for the row")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_edit_racing_a_freeze_never_changes_the_frozen_row(accountant):
    product = services.create_product(actor=accountant, fields=product_fields())
    failures: list[Exception] = []

    def edit() -> None:
        try:
            services.update_product(
                actor=accountant, product=product, fields={"annual_rate": Decimal("0.07")}
            )
        except Exception as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    editor = threading.Thread(target=edit)
    with transaction.atomic():
        services.freeze_product(product=product)  # a loan is being submitted: the row is locked till commit
        editor.start()
        wait_until_another_session_waits_for_a_lock()
    editor.join(timeout=30)

    assert failures == []
    used = LoanProduct.objects.get(version=1)
    assert used.is_frozen and used.annual_rate == Decimal("0.066")
    assert used.status == LoanProduct.Status.SUPERSEDED
    assert LoanProduct.objects.get(version=2).annual_rate == Decimal("0.07")


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_frozen_product(accountant):
    product = services.create_product(
        actor=accountant,
        fields=product_fields(),
        required_documents=DocumentType.objects.filter(code="business_plan"),
    )
    LoanProduct.objects.filter(pk=product.pk).update(annual_rate=Decimal("0.05"))  # not frozen: allowed
    services.freeze_product(product=product)
    for change in (
        lambda: LoanProduct.objects.filter(pk=product.pk).update(annual_rate=Decimal("0.04")),
        lambda: LoanProduct.objects.filter(pk=product.pk).update(frozen_at=None),
        lambda: LoanProduct.objects.filter(pk=product.pk).delete(),
        lambda: product.required_documents.add(DocumentType.objects.get(code="charter")),
        lambda: product.required_documents.clear(),
    ):
        with pytest.raises(IntegrityError, match="used by loans"), transaction.atomic():
            change()
    LoanProduct.objects.filter(pk=product.pk).update(status=LoanProduct.Status.RETIRED)  # status may move
    row = LoanProduct.objects.get(pk=product.pk)
    assert (row.annual_rate, row.status, row.required_documents.count()) == (Decimal("0.05"), "retired", 1)
