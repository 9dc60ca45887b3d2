from django.urls import path

from ceiling.views import InvoiceView, PayView

urlpatterns = [
    path("invoices/<int:pk>/payments/", PayView.as_view()),
    path("invoices/<int:pk>/", InvoiceView.as_view()),
]
