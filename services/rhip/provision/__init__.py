"""The cell provisioner: what a new region cell needs in the cluster before its Helm release.

``objects`` builds the namespace, quota, limits, default-deny policy and secrets with the
``kubernetes`` client's models; ``apply`` applies them server-side through a small interface
(a real cluster, or a recording fake in tests); ``tenants`` answers whether a cell may go;
``commands`` is what ``rhip admin provision-cell`` / ``deprovision-cell`` run.
"""
