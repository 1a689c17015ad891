"""The pack's rules over AWS resources, one per module."""
