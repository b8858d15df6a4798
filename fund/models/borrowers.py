"""The fund's borrowers: co-operatives, cooperative groups, co-op unions and household groups."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from common.fields import one_of
from common.text import long_text
from fund.models.cleaning import CleanInputMixin
from fund.models.documents import Document

# Numbers as Vietnamese registers write them. Tax codes: 10 digits, a branch adds -NNN.
tax_code_validator = RegexValidator(
    r"^\d{10}(-\d{3})?$", _("A tax code is 10 digits, or 10 digits, a dash and 3 digits.")
)
# Citizen ID (CCCD) has 12 digits; the older ID card (CMND) has 9.
id_number_validator = RegexValidator(
    r"^(\d{9}|\d{12})$", _("An ID number is 12 digits (or 9 on an old card).")
)
phone_validator = RegexValidator(
    r"^(0|\+84)\d{9,10}$", _("A phone number is 10 or 11 digits starting with 0 (or +84).")
)


class BorrowerType(models.TextChoices):
    COOPERATIVE = "htx", _("Co-operative (HTX)")
    COOPERATIVE_GROUP = "tht", _("Cooperative group (THT)")
    COOP_UNION = "lhhtx", _("Co-op union (LHHTX)")
    HOUSEHOLD_GROUP = "household_group", _("Household borrowing group (Farmers' Support Fund)")


class BorrowerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    DISSOLVED = "dissolved", _("Dissolved")


class Sector(models.TextChoices):
    CROPS = "crops", _("Crop farming")
    LIVESTOCK = "livestock", _("Livestock")
    AQUACULTURE = "aquaculture", _("Aquaculture and fishing")
    FORESTRY = "forestry", _("Forestry")
    PROCESSING = "processing", _("Agricultural processing")
    HANDICRAFTS = "handicrafts", _("Handicrafts and craft villages")
    TRADE = "trade", _("Trade and services")
    CONSTRUCTION = "construction", _("Construction and transport")
    UTILITIES = "utilities", _("Clean water, electricity and environment")
    OTHER = "other", _("Other")


class Borrower(CleanInputMixin, FSMModelMixin, models.Model):
    """One borrower of the fund, whatever its kind; a household group also lists its households."""

    Type = BorrowerType
    Status = BorrowerStatus
    Sector = Sector

    # Kinds that always have a tax code: HTX and unions register with one (Law on Cooperatives).
    TYPES_WITH_TAX_CODE = (Type.COOPERATIVE, Type.COOP_UNION)

    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    name = models.CharField(_("name"), max_length=255)
    registration_number = models.CharField(
        _("registration or decision number"),
        max_length=64,
        help_text=_("Business registration number, or the number of the decision establishing the group."),
    )
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True, validators=[tax_code_validator])
    province = models.CharField(_("province"), max_length=100)
    district = models.CharField(_("district"), max_length=100)
    commune = models.CharField(_("commune"), max_length=100)
    address = models.CharField(_("street, village or hamlet"), max_length=255, blank=True)
    representative = models.CharField(_("representative"), max_length=150)
    representative_title = models.CharField(_("representative's title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=16, validators=[phone_validator])
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    member_count = models.PositiveIntegerField(_("number of members"))
    founded_on = models.DateField(_("founding date"))
    status = FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, protected=True
    )
    notes = long_text(_("notes"), blank=True)
    # The fund a borrower was brought in from when its portfolio merged into this one.
    source_fund = models.CharField(_("source fund"), max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        ordering = ["name", "pk"]
        constraints = [
            # Registration numbers are issued per commune or district; the full address tells them apart.
            models.UniqueConstraint(
                fields=["province", "district", "commune", "registration_number"],
                name="fund_borrower_registration_unique",
                violation_error_message=_(
                    "A borrower with this registration number is already registered here."
                ),
            ),
            models.UniqueConstraint(
                fields=["tax_code"],
                condition=~models.Q(tax_code=""),
                name="fund_borrower_tax_code_unique",
                violation_error_message=_("A borrower with this tax code is already registered."),
            ),
            one_of("fund_borrower", "type", BorrowerType.values),
            one_of("fund_borrower", "status", BorrowerStatus.values),
            models.CheckConstraint(condition=models.Q(member_count__gte=1), name="fund_borrower_has_members"),
        ]
        indexes = [
            models.Index(fields=["type", "province", "status"], name="fund_borrower_filter_idx"),
            # The list's keyset pages (`fund.selectors.BORROWER_ORDER`).
            models.Index(fields=["name", "id"], name="fund_borrower_name_idx"),
            # Whether a borrower changed since a portfolio summary was written
            # (`loans.selectors.summaries`), asked on every report and home page.
            models.Index(fields=["updated_at"], name="fund_borrower_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.type in self.TYPES_WITH_TAX_CODE and not self.tax_code:
            errors["tax_code"] = _("A co-operative or co-op union registers with a tax code.")
        if self.founded_on and self.founded_on > timezone.localdate():
            errors["founded_on"] = _("The founding date cannot be in the future.")
        if self.member_count is not None and self.member_count < 1:
            errors["member_count"] = _("A borrower has at least one member.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_household_group(self) -> bool:
        return self.type == self.Type.HOUSEHOLD_GROUP

    @property
    def full_address(self) -> str:
        return ", ".join(part for part in (self.address, self.commune, self.district, self.province) if part)

    @transition(field=status, source=Status.ACTIVE, target=Status.SUSPENDED)
    def suspend(self) -> None:
        """No new loans while suspended (for example while its registration is being reviewed)."""

    @transition(field=status, source=Status.SUSPENDED, target=Status.ACTIVE)
    def reactivate(self) -> None:
        pass

    @transition(field=status, source=[Status.ACTIVE, Status.SUSPENDED], target=Status.DISSOLVED)
    def dissolve(self) -> None:
        """The borrower no longer exists; its record and loan history stay."""


class HouseholdMember(CleanInputMixin, models.Model):
    """A household in a Farmers' Support Fund borrowing group (tổ vay vốn)."""

    borrower = models.ForeignKey(
        Borrower, verbose_name=_("household group"), on_delete=models.PROTECT, related_name="members"
    )
    head_of_household = models.CharField(_("head of household"), max_length=150)
    id_number = models.CharField(_("ID number"), max_length=12, validators=[id_number_validator])
    address = models.CharField(_("village or hamlet"), max_length=255)
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[phone_validator])
    farmers_union_member = models.BooleanField(_("Farmers' Union member"), default=False)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["borrower", "head_of_household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "id_number"],
                name="fund_member_once_per_group",
                violation_error_message=_("This household is already a member of the group."),
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(joined_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="fund_member_leaves_after_joining",
                violation_error_message=_("A household cannot leave before it joined."),
            ),
        ]

    def __str__(self) -> str:
        return self.head_of_household

    def clean(self) -> None:
        errors = {}
        if self.borrower_id and not self.borrower.is_household_group:
            errors["borrower"] = _("Only a household borrowing group has household members.")
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = _("A household cannot leave before it joined.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class BorrowerDocument(CleanInputMixin, Document):
    """A file in a borrower's records: registration certificate, charter, minutes, statements..."""

    upload_folder = "borrowers"
    download_view = "fund:document_download"

    borrower = models.ForeignKey(
        Borrower, verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="documents"
    )

    class Meta:
        verbose_name = _("borrower document")
        verbose_name_plural = _("borrower documents")
        ordering = ["borrower", "-issued_on", "pk"]
