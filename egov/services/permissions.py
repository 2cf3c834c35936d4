"""Who may do what with service standards and legal documents in the admin.

Django's model permissions (the Editors group, village officials, holds them: migration 0002)
narrowed by ownership: only the node that owns a record changes or deletes it. On a village hub
the kabupaten's and province's services, offices and regulations are read-only (their inspect
view shows them); on the upstream the villages' own are. The SyncedRecord origin guard refuses
such an edit anyway; this policy keeps the admin from offering it.
"""

from wagtail.permission_policies import ModelPermissionPolicy

OWNER_ONLY_ACTIONS = frozenset({"change", "delete"})


class OwnedRecordPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission_for_instance(self, user, action, instance):
        if action in OWNER_ONLY_ACTIONS and not instance.is_local:
            return False
        return super().user_has_permission_for_instance(user, action, instance)
