import factory

from lms.models import Community, District, DistrictStaff, Town, User

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"学员{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"第{n}区")
    code = factory.Sequence(lambda n: f"d{n}")


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"镇{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"社区{n}")


class DistrictStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DistrictStaff

    district = factory.SubFactory(DistrictFactory)
    user = factory.SubFactory(UserFactory, is_staff=True)
