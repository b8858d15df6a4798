"""A user's report exports written by tasks: the list, one export's page with its progress
(polled while it is written) and the download. Another user's are a 404; a superuser sees all."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from common.files import file_response
from common.paging import numbered
from loans.models.exports import ExportState
from loans.selectors.exports import visible_exports
from loans.services.exports import PERMISSION, expire_exports

EXPORTS_PER_PAGE = 25


@login_required
@permission_required(PERMISSION, raise_exception=True)
def export_list(request):
    expire_exports()
    page = numbered(request, visible_exports(request.user), size=EXPORTS_PER_PAGE)
    return render(request, "loans/exports/list.html", {"page": page, "title": _("My exports")})


@login_required
@permission_required(PERMISSION, raise_exception=True)
def export_job(request, pk: int):
    expire_exports()
    job = get_object_or_404(visible_exports(request.user), pk=pk)
    return render(request, "loans/exports/job.html", {"job": job, "title": job.title})


@login_required
@permission_required(PERMISSION, raise_exception=True)
def export_progress(request, pk: int):
    """The export's progress, for its page to poll: it stops once the answer has no trigger."""
    job = get_object_or_404(visible_exports(request.user), pk=pk)
    return render(request, "loans/exports/_progress.html", {"job": job})


@login_required
@permission_required(PERMISSION, raise_exception=True)
def export_download(request, pk: int):
    expire_exports()
    job = get_object_or_404(visible_exports(request.user), pk=pk, state=ExportState.DONE)
    return file_response(job.file, filename=job.filename)
