"""Bundles: the engine's changes and blobs in a signed file, for a USB stick or an Ansible push.

:mod:`.container` is the file (tar layout, signature, limits, reading and writing);
:mod:`.exchange` is what goes in and comes out (export and import through the apply code the
network path uses); :mod:`.errors` says why a file is refused.
"""
