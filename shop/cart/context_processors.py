def mini_cart(request):
    return {}
