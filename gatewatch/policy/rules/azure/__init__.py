"""The pack's rules over Azure resources (azure-native and classic), one per module."""
