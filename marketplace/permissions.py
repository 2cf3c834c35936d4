"""Who may do what with the marketplace in the admin.

Three rules narrow Django's model permissions (the groups hold those, see migration 0002):

- **Scope.** A user with a :class:`~marketplace.models.BumdesStaff` link (the "Pengelola
  BUMDes" group) sees and changes only that BUMDes and its products, orders and requests. An
  object of another BUMDes is answered with 404, as if it did not exist. A user with no link and
  the permissions (a village official, a superuser) sees every BUMDes of the village.
- **Ownership.** Only the node that owns a record changes it: on a village hub the upstream's
  categories are read-only; on the upstream the villages' BUMDes, products and orders are.
- **Services only.** Orders and outside requests are never added, edited or deleted by hand:
  they move only through ``marketplace.services`` (status buttons, accept/decline).
"""

from django.conf import settings
from django.http import Http404
from wagtail.permission_policies import ModelPermissionPolicy

from .models import Bumdes
from .selectors import scoped, staff_bumdes

ALL_ACTIONS = frozenset({"add", "change", "delete", "view"})
ORDER_CHANGE = "marketplace.change_order"
REQUEST_CHANGE = "marketplace.change_orderrequest"
REPORT_VIEW = "marketplace.view_order"


def _belongs_to_a_bumdes(model) -> bool:
    return model is Bumdes or any(f.name == "bumdes" for f in model._meta.get_fields())


def in_scope(user, obj) -> bool:
    """True when ``obj`` belongs to the BUMDes ``user`` is limited to, when they are not
    limited, or when ``obj`` belongs to no BUMDes (a category)."""
    bumdes = staff_bumdes(user)
    if bumdes is None or not _belongs_to_a_bumdes(type(obj)):
        return True
    return (obj.pk if isinstance(obj, Bumdes) else obj.bumdes_id) == bumdes.pk


def scoped_queryset(queryset, user):
    """``queryset`` of any marketplace model limited to what ``user`` may see."""
    bumdes = staff_bumdes(user)
    if bumdes is None or not _belongs_to_a_bumdes(queryset.model):
        return queryset
    if queryset.model is Bumdes:
        return queryset.filter(pk=bumdes.pk)
    return scoped(queryset, user)


def object_in_scope_or_404(user, obj):
    if not in_scope(user, obj):
        raise Http404
    return obj


def is_bumdes_staff(user) -> bool:
    return staff_bumdes(user) is not None


class MarketPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions narrowed by ownership, scope and the services-only rule.

    ``owner_role``: the role of the node that owns these records (elsewhere: view only).
    ``refused``: actions nobody does by hand in the admin.
    ``staff_refused``: actions a BUMDes's staff may not do even with the permission.
    """

    def __init__(self, model, *, owner_role="village", refused=(), staff_refused=()):
        super().__init__(model)
        self.owner_role = owner_role
        self.refused = frozenset(refused)
        self.staff_refused = frozenset(staff_refused)

    def user_has_permission(self, user, action):
        if action in self.refused:
            return False
        if action != "view" and self.owner_role != settings.HUB_ROLE:
            return False
        if action in self.staff_refused and is_bumdes_staff(user):
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and in_scope(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        return scoped_queryset(super().instances_user_has_any_permission_for(user, actions), user)
