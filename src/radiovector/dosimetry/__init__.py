"""Absorbed dose (MIRD), therapeutic index and radionuclide choice by tumour size."""
