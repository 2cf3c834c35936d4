"""Admin views for synced records that only their owner changes: a record of another node
opens read-only (its inspect view) instead of an edit form; deleting it is refused."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from ..permissions import OwnedRecordPermissionPolicy


class OwnedEditView(generic.EditView):
    def dispatch(self, request, *args, **kwargs):
        # the model permission first: the object is looked at only for those who hold it
        if self.user_has_permission(self.permission_required):
            obj = self.get_object()
            if not obj.is_local:
                messages.warning(
                    request,
                    _("Data ini dikelola oleh %(origin)s; di sini hanya dapat dilihat.")
                    % {"origin": obj.origin},
                )
                return redirect(self.inspect_url_name, obj.pk)
        return super().dispatch(request, *args, **kwargs)


class OwnedDeleteView(generic.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        if not self.object.is_local:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class OwnedRecordViewSet(ModelViewSet):
    """A viewset of a synced model: inspect on, edits and deletes for the owner only."""

    edit_view_class = OwnedEditView
    delete_view_class = OwnedDeleteView
    inspect_view_enabled = True
    copy_view_enabled = False
    search_backend_name = None

    @cached_property
    def permission_policy(self):
        return OwnedRecordPermissionPolicy(self.model)
