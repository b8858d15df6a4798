"""What the API shows of borrowers, households and loan products, and the filters it reads."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.fields import RateField, VNDField
from fund.models import Borrower, HouseholdMember, LoanProduct
from fund.services.borrowers import MEMBER_FIELDS


class HouseholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = HouseholdMember
        fields = ["id", "head_of_household", "address", "farmers_union_member", "joined_on", "left_on"]


class HouseholdIn(serializers.ModelSerializer):
    """A household of a household group as the household page takes it (its service validates)."""

    class Meta:
        model = HouseholdMember
        fields = MEMBER_FIELDS


class BorrowerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Borrower
        fields = [
            "id",
            "type",
            "name",
            "registration_number",
            "tax_code",
            "province",
            "district",
            "commune",
            "representative",
            "phone",
            "sector",
            "member_count",
            "status",
        ]


class BorrowerDetailSerializer(BorrowerSerializer):
    households = serializers.SerializerMethodField()

    class Meta(BorrowerSerializer.Meta):
        fields = [*BorrowerSerializer.Meta.fields, "address", "founded_on", "households"]

    @extend_schema_field(HouseholdSerializer(many=True))
    def get_households(self, borrower) -> list[dict]:
        # Only to those whose role sees households (the borrower page's rule).
        if not self.context["request"].user.has_perm("fund.view_householdmember"):
            return []
        return HouseholdSerializer(borrower.members.order_by("pk"), many=True).data


class BorrowerFilter(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=100)
    type = serializers.ChoiceField(choices=Borrower.Type.choices, required=False)
    province = serializers.CharField(required=False, max_length=100)
    status = serializers.ChoiceField(choices=Borrower.Status.choices, required=False)


class ProductSerializer(serializers.ModelSerializer):
    amount_min = VNDField()
    amount_max = VNDField()
    annual_rate = RateField()
    borrower_types = serializers.ListField(child=serializers.ChoiceField(choices=Borrower.Type.choices))
    required_documents = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = LoanProduct
        fields = [
            "id",
            "code",
            "version",
            "name",
            "status",
            "borrower_types",
            "amount_min",
            "amount_max",
            "term_min_months",
            "term_max_months",
            "annual_rate",
            "day_count",
            "amortization",
            "principal_frequency",
            "interest_frequency",
            "max_grace_months",
            "required_documents",
        ]
        read_only_fields = fields
