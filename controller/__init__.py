"""The controller: campaigns, proposers, scheduler, results store, reports and the `hawk` CLI.

Importing this package is cheap: Ray and the OpenAI client are imported only by the modules that use them.
"""
