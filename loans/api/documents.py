"""An application's dossier through the API: its documents, and attaching one (multipart), filed
by the same service, bounds and validators as the pages' upload."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from common.api.errors import ErrorSerializer
from common.api.views import ApiView, needs
from fund.api.authentication import PersonLoggedIn
from fund.models import DocumentType
from loans.models import LoanDocument
from loans.selectors.access import get_loan_for
from loans.services.origination.applications import add_document

READ_ERRORS = dict.fromkeys((400, 401, 403, 404, 429), ErrorSerializer)
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorSerializer}


class DocumentSerializer(serializers.ModelSerializer):
    document_type = serializers.CharField(source="document_type.code")
    url = serializers.CharField(
        source="get_absolute_url", help_text=gettext_lazy("Where to download it (the same login).")
    )

    class Meta:
        model = LoanDocument
        fields = ["id", "document_type", "title", "original_name", "issued_on", "uploaded_at", "url"]


class DocumentIn(serializers.Serializer):
    document_type = serializers.CharField(max_length=40, help_text=gettext_lazy("The document type's code."))
    title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    issued_on = serializers.DateField()
    file = serializers.FileField(max_length=255)


class ApplicationDocuments(ApiView):
    permission_classes = [needs("loans.view_loandocument")]
    parser_classes = [MultiPartParser]

    def get_permissions(self):
        """Anyone who may see the dossier reads it; attaching needs a person who may add to it."""
        if self.request.method != "POST":
            return super().get_permissions()
        return [*super().get_permissions(), PersonLoggedIn(), needs("loans.add_loandocument")()]

    @extend_schema(responses={200: DocumentSerializer(many=True), **READ_ERRORS})
    def get(self, request, pk: int):
        """The application's dossier: the documents filed with it."""
        loan = get_loan_for(request.user, pk)
        documents = loan.documents.select_related("document_type").order_by("pk")
        return Response(DocumentSerializer(documents, many=True).data)

    @extend_schema(
        request={"multipart/form-data": DocumentIn}, responses={201: DocumentSerializer, **WRITE_ERRORS}
    )
    def post(self, request, pk: int):
        """Attach a document to the application's dossier while it is a draft, submitted or being
        appraised (a person logged in; a co-op user to its own). PDF, images and office files up
        to 20 MB."""
        loan = get_loan_for(request.user, pk)
        serializer = DocumentIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kind = DocumentType.objects.filter(code=data.pop("document_type")).first()
        if kind is None:
            raise exceptions.ValidationError({"document_type": [_("No such document type.")]})
        document = add_document(actor=request.user, loan=loan, document_type=kind, **data)
        return Response(DocumentSerializer(document).data, status=201)
